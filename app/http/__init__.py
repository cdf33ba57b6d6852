"""The HTTP layer: error envelope, guards, authentication middleware, shared parameters, CSV responses,
and the API of the core (sign-in, users, tokens, audit log). Domain logic never imports this package."""
