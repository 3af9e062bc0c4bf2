"""Forces (tenants), their time-limit profiles, teams and the officers who work in them."""
