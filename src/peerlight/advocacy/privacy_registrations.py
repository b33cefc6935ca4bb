"""What advocacy holds about a person, for "Download my data" and account deletion."""


def register() -> None:
    """Register the advocacy models with the privacy centre (written with the models)."""
