"""Reconciliation: bank statements imported and matched to payment instructions, named balance checks over
the books, and an exception queue where every difference waits for a person to resolve it with a reason."""
