"""広聴 (取組11): residents' opinions and proposals, their routing, the city's replies and the
published, anonymised questions and answers."""
