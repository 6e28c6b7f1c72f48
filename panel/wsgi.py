import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
# The agent API goes on its own lean middleware path (see monitoring/agent_wsgi.py).
from monitoring.agent_wsgi import route  # noqa: E402 - needs django.setup() first

application = route(get_wsgi_application())
