import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
django_application = get_wsgi_application()  # sets Django up: import the rest after it

# The agent API goes on its own lean middleware path (see monitoring/agent_wsgi.py).
from monitoring.agent_wsgi import route  # noqa: E402

application = route(django_application)
