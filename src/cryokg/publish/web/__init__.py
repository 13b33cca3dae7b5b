"""Linked-data publishing of the release: the ``cryokg serve`` ASGI app and what ``cryokg site`` shares with it.

Modules: :mod:`~cryokg.publish.web.app` (routes), :mod:`~cryokg.publish.web.negotiation` (the one media-type table and the
Accept parser), :mod:`~cryokg.publish.web.data` (the release store and resource descriptions),
:mod:`~cryokg.publish.web.pages` and :mod:`~cryokg.publish.web.render` (HTML and RDF documents), :mod:`~cryokg.publish.web.sparql`
(SPARQL 1.1 Protocol), :mod:`~cryokg.publish.web.security` and :mod:`~cryokg.publish.web.workers` (what is refused, time and
row limits), :mod:`~cryokg.publish.web.middleware` (body limit, CORS, headers, response cache).
"""

__all__: list[str] = []
