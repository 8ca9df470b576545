"""The learner's wallet: what it holds (``records``), how credentials enter it (``intake``), organising,
presenting, export and erasure (``service``), and sharing links and public profiles (``sharing``)."""
