#!/bin/sh
# Requests and tasks name existing files, nodes and subscriptions, and go
# when those go (migration 013 checks them once per statement instead of a
# foreign key per row): what a user sees is what the foreign keys gave.
. "$top_srcdir/tests/lib-test.sh"
. "$top_srcdir/tests/lib-fixtures.sh"

fixture tmdb
fixture sites T1_A T2_B T2_C
fixture link T1_A T2_B
fixture dataset T1_A /Refs/A/RAW 4 1
fixture dataset T1_A /Refs/B/RAW 2 1
fixture subscribe --node T2_B --dataset /Refs/A/RAW

node () { echo "(select id from nodes where name = '$1')"; }
file () { echo "(select min(f.id) from files f join blocks b on b.id = f.block join datasets d on d.id = b.dataset where d.name = '$1')"; }

test_expect_success 'a request or a task naming a file, node or subscription that does not exist is refused' '
	! sql "insert into requests (file, node) values (-1, $(node T2_B))" 2>err &&
	grep -q "violates foreign key" err &&
	! sql "insert into requests (file, node) values ($(file /Refs/A/RAW), -1)" 2>err &&
	grep -q "violates foreign key" err &&
	! sql "insert into requests (file, node, subscription) values ($(file /Refs/A/RAW), $(node T2_B), -1)" 2>err &&
	grep -q "violates foreign key" err &&
	! sql "insert into tasks (file, from_node, to_node, for_node) values ($(file /Refs/A/RAW), $(node T1_A), -1, $(node T2_B))" 2>err &&
	grep -q "violates foreign key" err &&
	! sql "insert into tasks (file, from_node, to_node, for_node) values (-1, $(node T1_A), $(node T2_B), $(node T2_B))" 2>err &&
	grep -q "violates foreign key" err &&
	sql_is 0 "select count(*) from requests" &&
	sql_is 0 "select count(*) from tasks"
'

test_expect_success 'an update pointing a request or a task elsewhere is checked too' '
	sql "insert into requests (file, node) values ($(file /Refs/B/RAW), $(node T2_C))" &&
	! sql "update requests set file = -1 where node = $(node T2_C)" 2>err &&
	grep -q "violates foreign key" err &&
	sql "insert into tasks (file, from_node, to_node, for_node) values ($(file /Refs/B/RAW), $(node T1_A), $(node T2_C), $(node T2_C))" &&
	! sql "update tasks set to_node = -1 where for_node = $(node T2_C)" 2>err &&
	grep -q "violates foreign key" err &&
	sql "update requests set node = $(node T2_B) where node = $(node T2_C)" &&
	sql_is 1 "select count(*) from requests where node = $(node T2_B)"
'

test_expect_success 'requests of a deleted subscription stay, without it; a deleted file takes its requests and tasks' '
	sql "insert into requests (file, node, subscription) select f.id, $(node T2_B), s.id from files f
	     join blocks b on b.id = f.block join subscriptions s on s.dataset = b.dataset
	     where s.node = $(node T2_B) on conflict do nothing" &&
	sql_is 4 "select count(*) from requests where subscription is not null" &&
	sql "delete from subscriptions where node = $(node T2_B)" &&
	sql_is 0 "select count(*) from requests where subscription is not null" &&
	sql_is 5 "select count(*) from requests" &&
	sql "delete from replicas where file = $(file /Refs/B/RAW)" &&
	sql "delete from files where id = $(file /Refs/B/RAW)" &&
	sql_is 4 "select count(*) from requests" &&
	sql_is 0 "select count(*) from tasks"
'

test_expect_success 'a deleted node takes the requests and tasks that name it' '
	sql "insert into tasks (file, from_node, to_node, for_node) values ($(file /Refs/A/RAW), $(node T1_A), $(node T2_C), $(node T2_B))" &&
	sql_is 1 "select count(*) from tasks" &&
	sql "delete from agents where node = $(node T2_C); delete from nodes where name = '"'"'T2_C'"'"'" &&
	sql_is 0 "select count(*) from tasks" &&
	sql "delete from agents where node = $(node T2_B); delete from nodes where name = '"'"'T2_B'"'"'" &&
	sql_is 0 "select count(*) from requests"
'
test_done
