"""Create a panel administrator without prompts (for scripts and `make run`)."""

from django.core.management.base import BaseCommand, CommandError

from accounts import services
from accounts.choices import Role
from accounts.models import User


class Command(BaseCommand):
    help = "Create an administrator. Prints the password once when it is generated."

    def add_arguments(self, parser):
        parser.add_argument("--email", default="admin@hearth.local")
        parser.add_argument("--password", help="Default: a generated password, printed once.")
        parser.add_argument("--display-name", default="Administrator")
        parser.add_argument(
            "--if-none", action="store_true", help="Do nothing when an administrator exists."
        )

    def handle(self, *args, email, password, display_name, if_none, **options):
        if if_none and User.objects.filter(role=Role.ADMIN).exists():
            self.stdout.write("An administrator already exists; nothing to do.")
            return
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(f"A user with the email {email} already exists.")
        user, password_used = services.create_admin(
            email, password=password, display_name=display_name
        )
        self.stdout.write(self.style.SUCCESS(f"Created administrator {user.email}"))
        if not password:
            self.stdout.write(f"  password: {password_used}  (shown once; change it after login)")
