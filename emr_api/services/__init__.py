"""The domain, HTTP-free: `(session, access, ...)` in, rows or a `Page` out, typed errors
raised. One `ResourceSpec` per resource and the generic operations in `resources.py`."""
