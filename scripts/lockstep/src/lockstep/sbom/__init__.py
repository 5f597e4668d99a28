"""`lockstep sbom`: a CycloneDX 1.6 SBOM of the runtime image's environment, from the lockfiles."""
