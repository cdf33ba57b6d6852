"""Employer wage subsidies: placements, agreements, monthly payroll claims, separations, overpayments."""
