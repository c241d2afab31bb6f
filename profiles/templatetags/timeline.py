from django import template

from profiles.timeline import filter_groups_html

register = template.Library()


@register.simple_tag
def timeline_row(row, *, first_of_page: bool = False):
    """One timeline row's <li> (profiles/timeline.py writes it: the hottest markup of the profile page)."""
    return row.html(first_of_page=first_of_page)


@register.simple_tag
def timeline_filter_groups(groups, selected: str):
    """The filter drop-down's option groups (profiles/timeline.py writes them)."""
    return filter_groups_html(groups, selected)
