from django.http import Http404


def or_404[T](found: T | None) -> T:
    """What a selector found, or a 404 when it found nothing (selectors say None; views decide it is a 404)."""
    if found is None:
        raise Http404
    return found
