"""Disbursements: payees' payment details, payment runs (four eyes, one instruction per payee), and the
rails that carry them (Stripe Connect transfers, SEPA credit transfer files) with their status reports."""
