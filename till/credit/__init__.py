"""Store credit: credit notes, head-office holds, other shops' notes, loyalty."""
