"""One controller per resource: guards on the route, a few lines per handler."""
