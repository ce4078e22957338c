"""The loan-servicing automation domain library, shipped to every function as a Lambda layer."""
