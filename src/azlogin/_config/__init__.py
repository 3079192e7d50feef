"""The pure layer: variables, login types, clouds, trust, settings, keywords and the plan.

Nothing here does I/O or imports azure-identity; everything above decides through
:func:`azlogin._config.plan.make_plan`.
"""
