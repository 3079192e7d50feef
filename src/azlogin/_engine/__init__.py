"""The token engine: token keys, the pure refresh decisions, the sync and asyncio caches and
the credential classes they back."""
