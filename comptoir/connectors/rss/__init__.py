"""RSS 2.0, RSS 1.0 (RDF), Atom 1.0 and JSON Feed listening sources."""
