"""Constants shared by the tests."""

SECRET = "s3cr3t-Value-That-Must-Never-Leak"
"""The client secret and certificate password every test uses, so leaks can be grepped."""
