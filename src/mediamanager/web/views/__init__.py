"""What the portal's ledger and dispute pages show, computed from the registry's use cases.

Pure functions from service results to plain values; the page modules (:mod:`mediamanager.web.pages`)
fetch and render, the templates only lay out:

- :mod:`.chart`      a stacked bar chart's geometry, drawn by the template as inline SVG
- :mod:`.usage`      where a creator's works were found (datasets, scans, works, evidence)
- :mod:`.disputes`   a dispute from one party's side: roles, deadline, allowed steps, audit trail
- :mod:`.licences`   incoming and outgoing licence requests and their terms
- :mod:`.statements` the periods a creator may ask a statement for
"""
