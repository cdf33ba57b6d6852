"""Vouchers: childcare and transport vouchers issued from eligibility decisions, and claims against them."""
