"""The panel's one password generator (security.password_generator)."""

from __future__ import annotations

from security.password_generator import ALPHABET, LENGTH, generate_password


def test_it_uses_only_letters_and_digits_at_the_default_length():
    password = generate_password()
    assert len(password) == LENGTH
    assert set(password) <= set(ALPHABET)


def test_it_never_repeats_itself():
    assert len({generate_password() for _ in range(200)}) == 200


def test_it_honours_a_requested_length():
    assert len(generate_password(40)) == 40
