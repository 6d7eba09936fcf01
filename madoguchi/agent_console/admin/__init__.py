"""``/admin``: booths, staff and places in the browser, for admins, limited to their own municipalities.

It lives beside the console because it shares its login, session and CSRF token; every change goes through the
same storage operations as the ``madoguchi`` CLI and is written to the audit log the same way.
"""
