"""The Kubernetes side of the endpoint: each cluster the fleet marks serves a Kubernetes API."""
