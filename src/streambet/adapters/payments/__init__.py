"""Payment providers behind two ports: deposits in (`DepositProvider`) and payouts out
(`PayoutProvider`), registered by name (registry.py) and chosen by STREAMBET_PAYMENTS.

Each provider module imports its SDK itself, so an app that only plays never loads one.
"""
