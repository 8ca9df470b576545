"""Verification: the one use case every edge calls (``service``), the operator's trust list
(``trust``), batches (``batch``) and the fetcher that answers the instance's own documents (``local_fetch``)."""
