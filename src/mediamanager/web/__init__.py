"""The creators' portal: server-rendered pages (Jinja2) over the registry's use cases.

``mount_portal(app)`` (in :mod:`mediamanager.web.app`) adds it to the API app: pages at ``/``,
``/signup``, ``/login`` and under ``/my/``, assets at ``/static/``; the API keeps its paths.
"""
