"""A local Amazon EKS endpoint built on moto, with realistic node group updates."""
