"""`{% verification_email person as mail %}`: the newest verification email's outbox row."""

from django import template

from security import verification

register = template.Library()


@register.simple_tag
def verification_email(person):
    return verification.latest_email(person)
