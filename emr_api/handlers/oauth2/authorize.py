"""The browser endpoints: authorization (login and consent pages) and logout. They
answer HTML pages or redirects; the flow is in `emr_api.oauth2.pages`."""

from emr_api import request_context
from emr_api.handlers.oauth2 import refuse_nul, request_uri
from emr_api.oauth2 import pages


def _reply(answer: pages.Answer):
    return answer.body, answer.status, answer.headers


def start(**_params):
    refuse_nul()
    info = request_context.current()
    with info.site.db.read() as session:
        answer = pages.start(info.site, session, request_uri(), info.query_items)
    return _reply(answer)


def login(body):
    refuse_nul(body)
    info = request_context.current()
    with info.site.db.read() as session:
        return _reply(pages.login(info.site, session, body))


def consent(body):
    refuse_nul(body)
    info = request_context.current()
    with info.site.db.write() as session:
        answer = pages.consent(info.site, session, f"{info.site.issuer}/authorize", body)
    return _reply(answer)


def logout(**_params):
    refuse_nul()
    info = request_context.current()
    with info.site.db.write() as session:
        answer = pages.logout(info.site, session, request_uri(), dict(info.query_items))
    return _reply(answer)
