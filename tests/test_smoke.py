import pytest

from quotas.models import UnionLevel
from quotas.selectors import review_chain_for
from quotas.services import union_create


@pytest.mark.django_db
def test_review_chain_skips_missing_tiers():
    city = union_create(name="济南市总工会", code="370100", level=UnionLevel.CITY)
    county = union_create(name="历下区总工会", code="370102", level=UnionLevel.COUNTY, parent=city)
    grassroots = union_create(name="某公司工会", code="370102-001", level=UnionLevel.GRASSROOTS, parent=county)
    chain = review_chain_for(union=grassroots, tiers=["grassroots", "township", "county", "city"])
    assert chain == [grassroots, county, city]
