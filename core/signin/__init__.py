"""The AWS Sign-In OAuth client: PKCE, DPoP, the loopback callback, the browser."""
