"""URL converters: a path value that cannot be a username never reaches a view."""

from __future__ import annotations


class UsernameConverter:
    """``<username:username>``: what the user model accepts (Django's username characters, at most 150).

    A NUL byte (which PostgreSQL refuses with an error) or an over-long value answers 404
    from the resolver, as an unknown username does.
    """

    regex = r"[\w.@+-]{1,150}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
