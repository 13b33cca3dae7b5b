"""Linked-data publishing of the release: the ``cryokg serve`` ASGI app and what ``cryokg site`` shares with it.

Modules: :mod:`~cryokg.web.app` (routes), :mod:`~cryokg.web.negotiation` (the one media-type table and the
Accept parser), :mod:`~cryokg.web.data` (the release store and resource descriptions),
:mod:`~cryokg.web.pages` and :mod:`~cryokg.web.render` (HTML and RDF documents), :mod:`~cryokg.web.sparql`
(SPARQL 1.1 Protocol), :mod:`~cryokg.web.security` and :mod:`~cryokg.web.workers` (what is refused, time and
row limits), :mod:`~cryokg.web.middleware` (body limit, CORS, headers, response cache).
"""

__all__: list[str] = []
