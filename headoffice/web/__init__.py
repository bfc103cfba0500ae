"""Head office in a browser: server-rendered pages on the head-office app.

``pages`` is the framework every page module builds on (``Page``, ``render``, the helpers);
``routes`` turns the pages into Starlette routes behind the login session, the role and the CSRF
check; ``accounts``, ``passwords``, ``sessions`` and ``audit`` are the people who use them.
"""
