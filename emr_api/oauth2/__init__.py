"""The authorization server, on Authlib's protocol core: one module per RFC or flow, all
registered in the one list in `server.py`. HTTP-free: `handlers/oauth2` translates requests
to Authlib's request objects and runs them through `call.run`."""
