from django import template

from profiles.identities import phone_format

register = template.Library()


@register.filter(is_safe=False)
def phone(value):
    """A stored phone number as people read it, the same on every page (+33 6 12 34 56 78)."""
    return phone_format(value) if value else value
