"""The browser endpoints: authorization (login and consent pages) and logout. They
answer HTML pages or redirects; the logic is in `emr_api.server.authorize`."""

from connexion import request

from emr_api.server import authorize, context


def _uri(site) -> str:
    return site.issuer + request.url.path.removeprefix(request.scope.get("root_path", ""))


def _reply(answer: authorize.Answer):
    return answer.body, answer.status, answer.headers


def start(**_params):
    site = context.site()
    with site.db.read() as session:
        answer = authorize.start(site, session, _uri(site),
                                 list(request.query_params.multi_items()))
    return _reply(answer)


def login(body):
    site = context.site()
    with site.db.read() as session:
        return _reply(authorize.login(site, session, body))


def consent(body):
    site = context.site()
    with site.db.write() as session:
        answer = authorize.consent(site, session, f"{site.issuer}/authorize", body)
    return _reply(answer)


def logout(**_params):
    site = context.site()
    with site.db.write() as session:
        answer = authorize.logout(site, session, _uri(site), dict(request.query_params))
    return _reply(answer)
