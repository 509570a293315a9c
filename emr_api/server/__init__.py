"""The HTTP shell, and the only user of Connexion and Starlette: the app factory, the site
edge, the bearer check Connexion calls, parameter validation, error rendering, the audit
writer and the served documents."""
