"""Spec -> the checked IR (`model.Network`): `expand` builds it, `resgen.api` serves it."""
