"""The dashboard (Horizon's role): server-rendered pages over the other services' public
REST APIs, on port 8000 of the controller (`minicloud up` prints its URL).

- app.py: the route table, the middleware (session, CSRF, login and admin gates, security
  headers) and the rendering of pages and errors; service.py: where it runs.
- sessions.py: the server-side sessions (the token never reaches the browser).
- client.py: keystoneauth over the catalog's endpoints; records every call of a page view
  for its "API calls" panel.
- forms.py: reading posted forms and uploads; navigation.py: the left-hand menu.
- views/: one module per panel group; views/flows.py draws a request's trace.
- templates/ (Jinja2, autoescaped) and static/ (one CSS file, one small script).

LIMITATIONS compared with Horizon: one region, the Default domain only, no project
switcher (a user logs in to one project, by default the one named like the user), no
multi-step workflows (Launch Instance is one form), no pagination, filtering or sorting of
tables, no batch actions, no instance console (VNC/SPICE), no Orchestration, Load Balancer,
DNS, Shares or other plugin dashboards, no image/volume metadata editing, no volume
transfer, backups or types, no container public access or object copy, no user settings
(language, time zone, page size), no WebSSO or multi-factor login, no project/user edit
beyond creating a project, no flavor, aggregate, quota or default management in Admin, and
sessions are kept in the controller's memory (a restart logs everyone out).
"""
