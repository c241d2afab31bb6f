"""Path converters of the API's URLs."""


class IdConverter:
    """A record id: 1 to 18 digits, so it always fits the database's 64-bit integers (a longer one is a 404)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
