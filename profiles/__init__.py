"""Customers: their identities (`identities`, `verification`), organizations (`organizations`), profile
writes (`services`, under the write lock of `locking`), reads and search (`selectors`); and the profile
pages: composed in `page` (which page, tab and region, header, Key details), with the Customer details
tab's form and writes (`forms`, `details`, `details_views`) and the Activity tab's reading of events
(`timeline`)."""
