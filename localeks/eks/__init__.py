"""The EKS side of the endpoint: moto's EKS backend, response handler and URL map, extended and made EKS's."""
