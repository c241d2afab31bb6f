"""The ground floor: accounts (tenants), the one user model and its roles, sign-in, each member's
preferences, the admin center's account settings, the audit log, and API tokens (made and read here;
checked by `api`). Imports only `common`."""
