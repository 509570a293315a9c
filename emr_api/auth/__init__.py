"""The resource-server side: what an access token looks like and how one is verified
(signature, issuer, expiry, audience, revocation), the ACL groups, and how a verified token
becomes the caller's `Access`. HTTP-free: the server's bearer check calls it."""
