"""Customers: their identities (`identities`, `verification`), organizations (`organizations`), profile
writes (`services`, under the write lock of `locking`), reads and search (`selectors`); and the profile
pages: composed in `page` (which page, tab and region, header, Key details), with the Customer details
tab's form and writes (`forms`, `details`, `details_views`), the Activity tab's reading of events
(`timeline`) and the Related tab's lookup relationships (`related`); the organization page
(`organization_views`, its reads and write in `organizations`)."""
