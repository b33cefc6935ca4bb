"""Find help: the HSDS 3.0 resource directory, its search, and referrals that are followed up."""
