"""Single sign-on with a force's OpenID Connect provider (Microsoft Entra ID), through
mozilla-django-oidc: the authorization-code flow with state, nonce and PKCE, RS256 ID tokens
checked against the provider's published keys, and the force found by the token's issuer."""
