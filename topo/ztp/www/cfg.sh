# A ZTP configuration script, fetched over HTTP from the lab's file server
# and run by the unit in /etc/config (an Opengear unit runs a .sh the same way).
echo acm-http > /etc/config/hostname
echo "provisioned over DHCP option 43 + HTTP" > /etc/config/motd
